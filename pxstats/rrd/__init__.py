"""The RRD archive: the only package that talks to rrdtool."""
