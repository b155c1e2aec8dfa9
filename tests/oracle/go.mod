module artsig-oracle

go 1.19
