"""The anonymous report form (/lapor), following a report up (/status), and evidence downloads."""
