#!/usr/bin/env bash
# Writes a container root filesystem with Debian's Java 17, taken from this machine's own
# packages (no network): the files of libc6 and openjdk-17-jre-headless (jre), or of the JDK plus Maven and
# a busybox shell (jdk, for a Dockerfile's build stage), with every shared library they load.
# The ContainerImageTest imports it with `podman import` as the base image of Dockerfile.amd64.
#   java-base-rootfs.sh jre|jdk OUT_DIR
set -euo pipefail
kind=$1
out=$2
jvm=/usr/lib/jvm/java-17-openjdk-amd64
[ -x "$jvm/bin/java" ] || { echo "no Debian OpenJDK 17 at $jvm (apt-get install openjdk-17-jdk-headless)" >&2; exit 2; }

rm -rf "$out"
mkdir -p "$out"/usr/bin "$out"/usr/lib "$out"/usr/lib64 "$out"/usr/sbin "$out"/etc "$out"/root "$out"/tmp
chmod 1777 "$out"/tmp
# Debian 12's merged /usr: /bin, /lib, /lib64 and /sbin are links into /usr.
for d in bin lib lib64 sbin; do ln -s usr/$d "$out/$d"; done

# One path of a package: folders made, links to folders kept as links (their files are listed
# too), everything else copied as the file it names.
copy() {
  local p=$1
  if [ -L "$p" ] && [ -d "$p" ]; then
    mkdir -p "$out$(dirname "$p")"; [ -L "$out$p" ] || cp -P "$p" "$out$p"
  elif [ -d "$p" ]; then
    mkdir -p "$out$p"
  elif [ -e "$p" ]; then
    mkdir -p "$out$(dirname "$p")"; cp -L --preserve=mode "$p" "$out$p"
  fi
}
# libc6 whole, as in any Debian image: native libraries inside jars (sqlite-jdbc's) link
# libc parts that the JRE itself does not load.
packages=(libc6 openjdk-17-jre-headless)
[ "$kind" = jdk ] && packages+=(openjdk-17-jdk-headless maven)
for pkg in "${packages[@]}"; do
  dpkg -L "$pkg" | while read -r p; do copy "$p"; done
done
# What update-alternatives would link.
ln -sf "$jvm/bin/java" "$out/usr/bin/java"
if [ "$kind" = jdk ]; then
  ln -sf "$jvm/bin/javac" "$out/usr/bin/javac"
  ln -sf /usr/share/maven/bin/mvn "$out/usr/bin/mvn"
  cp /bin/busybox "$out/usr/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ -e "$out/usr/bin/$applet" ] || ln -s busybox "$out/usr/bin/$applet"
  done
fi

# Every shared library the copied programs and libraries load (the headless JRE leaves out the
# X11 ones some JDK libraries name; those are never loaded here).
find "$out" -type f \( -name '*.so' -o -name '*.so.*' -o -perm -u+x \) -print0 |
  { xargs -0 ldd 2>/dev/null || true; } | awk '/=> \// { print $3 } /^\s*\/[^ ]+ \(0x/ { print $1 }' | sort -u |
  while read -r lib; do
    mkdir -p "$out$(dirname "$lib")"
    [ -e "$out$lib" ] || cp -L --preserve=mode "$lib" "$out$lib"
  done
mkdir -p "$out/usr/lib64"
cp -L /lib64/ld-linux-x86-64.so.2 "$out/usr/lib64/ld-linux-x86-64.so.2"

printf 'root:x:0:0:root:/root:/bin/sh\n' > "$out/etc/passwd"
printf 'root:x:0:\n' > "$out/etc/group"
echo "$kind root filesystem in $out: $(du -sh "$out" | cut -f1)"
