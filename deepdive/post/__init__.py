"""The post model: a source file's front matter, validation, and the record every page reads."""
