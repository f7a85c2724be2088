"""Request and response models of the API (separate Create, Update and Public shapes)."""
