#!/bin/sh
# pki.sh DIR: a CA and a server certificate in DIR (ca.crt, server.crt,
# server.key) for 127.0.0.1, localhost and 10.0.2.2 (the host as a qemu
# guest sees it), and a second CA (other-ca.crt) that did not sign it,
# for the tests of TLS verification.
set -e
d=$1
mkdir -p "$d"
cd "$d"
[ -s server.crt ] && exit 0
for ca in ca other-ca; do
	openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=$ca" \
		-keyout $ca.key -out $ca.crt 2>/dev/null
done
openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-double" \
	-keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,IP:10.0.2.2,DNS:localhost\n' > san.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
	-extfile san.ext -out server.crt 2>/dev/null
rm -f server.csr san.ext ca.srl
