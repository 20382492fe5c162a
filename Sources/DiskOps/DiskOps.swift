// The DiskOps module; see DESIGN.md for what belongs here.
