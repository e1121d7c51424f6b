"""The build: ``make html``'s command, and what makes a build do less work."""
