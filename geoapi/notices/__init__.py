"""Rectification notices (整改通知单), their acknowledgement, and escalations of late problems."""
