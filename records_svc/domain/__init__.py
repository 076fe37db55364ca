"""The records domain: models and the operations on them.

Domain functions take a UnitOfWork, the acting Principal and plain values,
and return plain values or models; they never touch Flask.
"""
