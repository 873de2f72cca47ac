"""The only code that talks to gnuplot: `script` builds the program as text (pure),
`render` runs gnuplot on it and puts the PNG in place atomically."""
