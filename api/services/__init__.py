"""Use cases behind the routes: routes parse and dispatch, services decide."""
