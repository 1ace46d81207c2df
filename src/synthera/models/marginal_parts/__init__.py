"""The stages of the marginal-based DP generator (AIM): zCDP accounting, DP primitives,
private discretisation of the columns, the AIM loop on `mbi`, and the fitted junction-tree
model that samples with NumPy alone."""
