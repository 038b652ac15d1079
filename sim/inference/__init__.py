"""Calibration: fit uncertain parameters to a past campaign (``wom calibrate``), and draw them per replication."""
