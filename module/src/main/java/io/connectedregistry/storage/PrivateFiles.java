package io.connectedregistry.storage;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data folder holds password hashes, the token signing key and every image: only the user the
 * registry runs as may read it. The folder is 0700 and the SQLite databases 0600, whatever the
 * umask; a folder or database left looser by an older version is tightened when opened. SQLite
 * gives a database's {@code -wal}, {@code -shm} and {@code -journal} files the database's own mode,
 * so a database created 0600 here keeps them so too. Filesystems without POSIX permissions are
 * left as they are.
 */
public final class PrivateFiles {
  private static final Logger LOG = LoggerFactory.getLogger(PrivateFiles.class);
  private static final Set<PosixFilePermission> FOLDER = PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
  private static final List<String> SQLITE_COMPANIONS = List.of("-wal", "-shm", "-journal");

  private PrivateFiles() {}

  /** Creates {@code folder} (and missing parents) if needed and makes it its owner's alone. */
  public static void folder(Path folder) {
    try {
      Files.createDirectories(folder);
    } catch (IOException e) {
      throw new StorageException("cannot create the data folder " + folder + ": " + e.getMessage(), e);
    }
    restrict(folder, FOLDER);
  }

  /**
   * Before SQLite opens {@code database}: creates it empty and 0600 (SQLite takes an empty file
   * for a new database; its folder entry is fsynced), or tightens it and its companion files.
   */
  public static void database(Path database) {
    if (!hasPosixPermissions(database.getParent())) {
      return;
    }
    try {
      Files.createFile(database, PosixFilePermissions.asFileAttribute(FILE));
      Fsync.directory(database.getParent());
    } catch (FileAlreadyExistsException e) {
      // an existing database: tightened below
    } catch (IOException e) {
      throw new StorageException("cannot create " + database + ": " + e.getMessage(), e);
    }
    restrict(database, FILE);
    for (String suffix : SQLITE_COMPANIONS) {
      Path companion = database.resolveSibling(database.getFileName() + suffix);
      if (Files.exists(companion)) {
        restrict(companion, FILE);
      }
    }
  }

  /**
   * Sets {@code wanted} unless already so. A data folder another user owns (a mounted volume, say)
   * cannot be changed: that is logged and the registry goes on, as it did before it checked.
   */
  private static void restrict(Path path, Set<PosixFilePermission> wanted) {
    if (!hasPosixPermissions(path)) {
      return;
    }
    try {
      Set<PosixFilePermission> before = Files.getPosixFilePermissions(path);
      if (before.equals(wanted)) {
        return;
      }
      Files.setPosixFilePermissions(path, wanted);
      // Debug: the token commands print JSON on the same stdout as the log.
      LOG.debug("{} was {}: now {}", path, PosixFilePermissions.toString(before), PosixFilePermissions.toString(wanted));
    } catch (NoSuchFileException e) {
      // a -wal or -shm file SQLite removed meanwhile
    } catch (IOException e) {
      LOG.warn("cannot make {} its owner's alone ({}): other users of this machine may read it", path, e.toString());
    }
  }

  private static boolean hasPosixPermissions(Path path) {
    return path != null && Files.getFileAttributeView(path, PosixFileAttributeView.class) != null;
  }
}
