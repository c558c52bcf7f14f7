"""Subcommands of the deltaprop CLI; see deltaprop.cli."""
