"""Thin handlers: parse the update, call a service, render a template."""
