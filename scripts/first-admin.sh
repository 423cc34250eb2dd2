#!/usr/bin/env bash
# make run: when the database has no account yet, makes the administrator "admin" with a random
# password (there is no default password), keeps it in a private file and prints it.
set -euo pipefail
bin=$1
db=$2
if [ "$("$bin" --db "$db" user list --json)" != "[]" ]; then
    echo "== sign in with an existing account ('dmarcwatch user list'; 'dmarcwatch user passwd NAME' resets one)"
    exit 0
fi
file=./dmarcwatch-admin-password.txt
umask 077
head -c 18 /dev/urandom | base64 | tr '+/' '-_' > "$file"
"$bin" --db "$db" user add admin --role admin --password-file "$file"
echo "== sign in as 'admin' with the password in $file: $(cat "$file")"
