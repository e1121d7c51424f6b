"""Shims around other packages' faults or missing public APIs, each naming what it waits for.

Only modules here may import another package's underscore names or reassign its attributes
(``tests/test_public_apis.py`` lists what is left).
"""
