#!/bin/sh
# Written by berth's mariadb role for the length of MariaDB's first install: the Galera member is started
# by the role (bootstrap or join), not by the package. Every other service is allowed (0).
case "$1" in
    mariadb|mysql) exit 101 ;;
esac
exit 0
