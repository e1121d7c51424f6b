"""The build pipeline: ``make html``'s command, and the steps that end every build, in order."""
