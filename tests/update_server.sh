#!/bin/sh
# placeholder while issue 16 is built
exit 77
