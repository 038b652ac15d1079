"""Planning a budget (``wom plan``): response curves, the best split under constraints, how much
to spend, verified on fresh seeds."""
