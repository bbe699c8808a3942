package io.connectedregistry.sync;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.connectedregistry.status.ConnectionState;
import io.connectedregistry.status.RegistryStatus;
import io.connectedregistry.status.SyncPhase;
import io.connectedregistry.status.SyncTrigger;
import io.connectedregistry.storage.AtomicFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sync part of the status while {@link SyncService} works on it (on its context only), and
 * its file {@code DATA/sync-status.json}, so a restart does not forget when the last successful
 * sync was. The file's format is unchanged since 0.1.0 (in both directions: that release reads
 * what this one writes). Each change is published as the immutable {@link RegistryStatus.Sync}
 * ({@link #toRecord()}) to the status board, which serves and reports it. Never holds a secret.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
final class SyncStatus {
  private static final Logger LOG = LoggerFactory.getLogger(SyncStatus.class);
  static final String FILE_NAME = "sync-status.json";
  /**
   * Made on first use: a first {@code ObjectMapper} loads ~370 Jackson classes, which stay loaded
   * for good in a registry that may never need them (bench/README.md, issue #13).
   */
  private static final class Mapper {
    static final ObjectMapper JSON = new ObjectMapper();
  }

  public ConnectionState connectionState = ConnectionState.Offline;
  public SyncPhase syncState = SyncPhase.Pending;
  public SyncTrigger syncTrigger;
  public String parent;
  /** feed (a parent of this project) or tags (any OCI parent). */
  public String parentKind;
  public String lastSyncStartTime;
  public String lastSyncEndTime;
  public String lastSuccessfulSyncEndTime;
  /** When the next window opens (only with sync.window, while it is closed). */
  public String nextSyncWindow;
  public Long cursor;
  public long bytesTransferred;
  /** Per repository: tags synchronised from the parent. */
  public Map<String, Integer> repositories = new TreeMap<>();
  public LastCycle lastCycle;
  public StatusDetails lastError;
  /** Set while sync waits for free space on the data folder; null (absent) otherwise. */
  public Paused paused;

  /** Why sync is not running now, and what it waits for. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public static final class Paused {
    /** InsufficientStorage: less than storage.minFreeBytes free on the data folder's file system. */
    public String reason;
    public String description;
    /** Free bytes at the last measure. */
    public long freeBytes;
    /** The floor it waits for (storage.minFreeBytes). */
    public long minFreeBytes;
    /** When the pause began. */
    public String since;
  }

  /** The counts of the last cycle. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public static final class LastCycle {
    public int repositories;
    public long tagsCopied;
    public long tagsDeleted;
    public long manifests;
    public long blobsFetched;
    public long blobsLinked;
    public long referrers;
    public long bytes;
    /** HTTP requests sent to the parent's registry API. */
    public long requests;
    public long durationMillis;
    public int errors;
  }

  /** ACR's statusDetails shape. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public static final class StatusDetails {
    public String type;
    public String code;
    public String description;
    public String timestamp;
    public String correlationId;
  }

  /** The immutable copy, as the status board holds it (the connection state sits beside it there). */
  RegistryStatus.Sync toRecord() {
    return new RegistryStatus.Sync(syncState, syncTrigger, parent, parentKind, lastSyncStartTime, lastSyncEndTime,
        lastSuccessfulSyncEndTime, nextSyncWindow, cursor, bytesTransferred, repositories,
        lastCycle == null ? null : new RegistryStatus.LastCycle(lastCycle.repositories, lastCycle.tagsCopied,
            lastCycle.tagsDeleted, lastCycle.manifests, lastCycle.blobsFetched, lastCycle.blobsLinked,
            lastCycle.referrers, lastCycle.bytes, lastCycle.requests, lastCycle.durationMillis, lastCycle.errors),
        lastError == null ? null : new RegistryStatus.StatusDetails(lastError.type, lastError.code,
            lastError.description, lastError.timestamp, lastError.correlationId),
        paused == null ? null : new RegistryStatus.Paused(paused.reason, paused.description, paused.freeBytes,
            paused.minFreeBytes, paused.since));
  }

  static SyncStatus load(Path dataDirectory) {
    Path file = dataDirectory.resolve(FILE_NAME);
    if (Files.exists(file)) {
      try {
        return Mapper.JSON.readValue(file.toFile(), SyncStatus.class);
      } catch (IOException e) {
        LOG.warn("{} is unreadable ({}); starting with a fresh status", file, e.getMessage());
      }
    }
    return new SyncStatus();
  }

  byte[] snapshot() {
    try {
      return Mapper.JSON.writeValueAsBytes(this);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Blocking. Status is informational, but written like the sync state all the same: a torn or
   * empty status file would be read as a fresh start and forget the last successful sync.
   */
  static synchronized void write(Path dataDirectory, byte[] snapshot) throws IOException {
    AtomicFile.write(dataDirectory.resolve(FILE_NAME), snapshot);
  }
}
