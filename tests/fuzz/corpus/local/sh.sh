
#!/bin/sh
set -e
prefix=/usr
bindir="$prefix/bin"
for f in a b c; do
  echo "$f"
done
ÿ  echo "$pre