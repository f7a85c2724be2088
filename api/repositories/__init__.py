"""Storage of each bounded context: MongoDB repositories, one module per collection."""
