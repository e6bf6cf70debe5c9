"""The PostgreSQL warehouse: which server (``connection``, ``embedded``), the ``raw``/``audit``
schema (``schema``: ordered SQL migrations applied by ``schema.init()``),
``bulk_copy`` (COPY), roles and row-level security (``access``), the dbt build (``transform``,
``dbt_process``), the marts' atomic publishing (``publish``), and Airflow's metadata
database on the same server (``airflow_metadata``). Imports only ``settings`` and ``reference``.
"""
