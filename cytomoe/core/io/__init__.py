"""Reading and writing events: FCS files and event tables become ``Sample`` objects (with
the file's own spillover applied on request), samples become a ``Plate`` with wells in plate
order, and results leave again as FCS or CSV files. Everything here knows files and
keywords, nothing about clustering."""
