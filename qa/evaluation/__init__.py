"""Measuring the assistant: SQuAD metrics and loader, the evaluation harness, calibration fitting.

Never imported on the query path (`qa ask`, the TUI): the CLI imports these
modules only for ``qa eval`` and ``qa calibrate``.
"""
