"""Test doubles that stand in for real services (named as such: nothing here is a real model)."""
