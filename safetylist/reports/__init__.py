"""Printed records (PDF, WeasyPrint): the one renderer in pdf.py, one module per kind of record."""
