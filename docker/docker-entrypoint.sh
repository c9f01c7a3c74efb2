#!/bin/sh
# Entrypoint of the holdfast container image (docs/operations.md, "Docker"), after the
# official Redis image's docker-entrypoint.sh:
#
#   docker run IMAGE                          holdfast-server /etc/holdfast/holdfast.conf
#   docker run IMAGE --appendfsync everysec   holdfast-server /etc/holdfast/holdfast.conf --appendfsync everysec
#   docker run IMAGE /my/holdfast.conf [...]  holdfast-server /my/holdfast.conf [...]   (replaces the image's file)
#   docker run IMAGE holdfast-admin info /data, sh, ...   run as given
set -e
conf=/etc/holdfast/holdfast.conf

# first argument "--some-directive" or "something.conf": arguments for the server
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
	set -- holdfast-server "$@"
fi

if [ "$1" = holdfast-server ]; then
	shift
	# no configuration file named: the image's, then the flags (read after it, so they win)
	case "${1-}" in
		-v | --version | -h | --help | -) ;;
		'' | -*) set -- "$conf" "$@" ;;
	esac
	set -- holdfast-server "$@"

	# started as root (docker run --user 0, e.g. for a host directory owned by root): give
	# /data to the holdfast user and run the server as that user, never as root
	if [ "$(id -u)" = 0 ]; then
		find /data \! -user holdfast -exec chown holdfast:holdfast '{}' +
		exec setpriv --reuid=holdfast --regid=holdfast --init-groups "$0" "$@"
	fi

	# data files readable by the server's user only (as the Redis image), unless the
	# caller chose a umask
	if [ "$(umask)" = 0022 ]; then
		umask 0077
	fi
fi

exec "$@"
