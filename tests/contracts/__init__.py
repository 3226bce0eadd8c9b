"""Contract suites: the behaviour of a port, written once, run against every adapter.

Each module holds a base class whose ``test_*`` methods use fixtures the adapter's own
test class provides (its name does not start with ``Test``, so pytest collects it only
through those subclasses). An adapter's test class lives in the layer the adapter needs:
the memory twin in ``tests/unit``, the local folder and process pool in
``tests/functional``, S3 and SQS over moto in ``tests/integration``.
"""
