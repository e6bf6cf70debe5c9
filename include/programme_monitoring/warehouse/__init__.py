"""The PostgreSQL warehouse: which server (``connection``, ``embedded``), its schema,
``bulk_copy`` (COPY), roles and row-level security (``access``), the dbt build with atomic
publishing (``transform``), and Airflow's metadata database on the same server
(``airflow_metadata``). Imports only ``settings`` and ``reference``.
"""
