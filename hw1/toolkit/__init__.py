"""What several parts use: data, the networks, training, attacks, the device policy, saving networks, plotting.

Library modules only: nothing here imports a part, the cache or the pipeline (tests/test_architecture.py).
"""
