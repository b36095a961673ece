"""The closed loop of a problem: report, dispatch, rectify, verify and close (or reopen)."""
