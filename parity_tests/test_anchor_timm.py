"""What ``test_port_domains.py`` imports from here: timm's scheduler modules (the timm tests
are ``test_anchors.py``'s, fed by ``parity_tests/anchors/timm_lr.py``)."""

from parity_tests.anchors.timm_lr import TS  # noqa: F401
