"""Writes that touch several rows, each in one transaction. One module per page
family; import from the module (`from roles.services import hats`)."""
