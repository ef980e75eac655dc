module kodev.local/pause

go 1.22
