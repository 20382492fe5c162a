// The ISOVerify module; see DESIGN.md for what belongs here.
