"""Interviews (约谈) of accident-prone enterprises and sector authorities, and the accident
records that make a unit accident-prone."""
