"""Airflow wiring: DAG ids and assets (``names``, imported by every DAG file), the task body of
every DAG (``tasks``), and local runs with ``dag.test()`` for the demo and tests
(``local_runs``). The top of the house: may import every job's package; none imports it.
"""
