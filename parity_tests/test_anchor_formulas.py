"""What ``test_port_domains.py`` imports from here: the transcribed libraries' drivers (their
tests are ``test_anchors.py``'s, fed by ``parity_tests/anchors/formulas.py``)."""

from parity_tests.anchors.formulas import fairseq_lrs, maxtext_lrs, megatron_lrs, nanogpt_lrs, torchtitan_lrs  # noqa: F401
