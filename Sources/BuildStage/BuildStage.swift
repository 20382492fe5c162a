// The BuildStage module; see DESIGN.md for what belongs here.
