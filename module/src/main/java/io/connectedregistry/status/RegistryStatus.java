package io.connectedregistry.status;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.connectedregistry.config.RegistryConfig.Mode;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The registry's status, whole and immutable: what {@code GET /_connected/v1/status} serves (see
 * {@link StatusJson} for its shape) and what listeners (the module twin, reports to the parent) are
 * told about. Held by the {@link StatusBoard}; each part updates its own piece. Never holds a secret.
 *
 * @param sync null for a root registry (no parent)
 * @param statusDetails the registry's latest problem, if any (ACR's shape); null when none
 */
public record RegistryStatus(Activation activation, ConnectionState connectionState, Mode mode, String version,
    Sync sync, Storage storage, UpstreamQueue upstreamQueue, StatusDetails statusDetails) {

  public RegistryStatus {
    Objects.requireNonNull(activation, "activation");
    Objects.requireNonNull(connectionState, "connectionState");
    Objects.requireNonNull(storage, "storage");
    Objects.requireNonNull(upstreamQueue, "upstreamQueue");
  }

  /** Before the registry serves: Inactive, storage not yet measured, Offline until a parent answers. */
  public static RegistryStatus starting(Mode mode, String version, boolean hasParent) {
    return new RegistryStatus(Activation.Inactive, hasParent ? ConnectionState.Offline : ConnectionState.Online,
        mode, version, null, Storage.UNKNOWN, UpstreamQueue.EMPTY, null);
  }

  public RegistryStatus withActivation(Activation value) {
    return new RegistryStatus(value, connectionState, mode, version, sync, storage, upstreamQueue, statusDetails);
  }

  public RegistryStatus withConnectionState(ConnectionState value) {
    return new RegistryStatus(activation, value, mode, version, sync, storage, upstreamQueue, statusDetails);
  }

  public RegistryStatus withMode(Mode value) {
    return new RegistryStatus(activation, connectionState, value, version, sync, storage, upstreamQueue, statusDetails);
  }

  public RegistryStatus withSync(Sync value) {
    return new RegistryStatus(activation, connectionState, mode, version, value, storage, upstreamQueue, statusDetails);
  }

  public RegistryStatus withStorage(Storage value) {
    return new RegistryStatus(activation, connectionState, mode, version, sync, value, upstreamQueue, statusDetails);
  }

  public RegistryStatus withUpstreamQueue(UpstreamQueue value) {
    return new RegistryStatus(activation, connectionState, mode, version, sync, storage, value, statusDetails);
  }

  public RegistryStatus withStatusDetails(StatusDetails value) {
    return new RegistryStatus(activation, connectionState, mode, version, sync, storage, upstreamQueue, value);
  }

  /**
   * Downstream sync. The field names, and the whole JSON object, are those of {@code
   * DATA/sync-status.json} as written since 0.1.0 (which also holds {@code connectionState}).
   * Times are ISO-8601 instants, as text, as in that file.
   *
   * @param parentKind feed (a parent of this project) or tags (any OCI parent)
   * @param nextSyncWindow when the next window opens (only with sync.window, while it is closed)
   * @param cursor the change feed's position; null before the first feed cycle
   * @param bytesTransferred blob bytes fetched from the parent since start
   * @param repositories per repository: tags synchronised from the parent (sorted by name)
   * @param paused set while sync waits for free space; null otherwise
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Sync(SyncPhase syncState, SyncTrigger syncTrigger, String parent, String parentKind,
      String lastSyncStartTime, String lastSyncEndTime, String lastSuccessfulSyncEndTime, String nextSyncWindow,
      Long cursor, long bytesTransferred, Map<String, Integer> repositories, LastCycle lastCycle,
      StatusDetails lastError, Paused paused) {
    public Sync {
      syncState = syncState == null ? SyncPhase.Pending : syncState;
      repositories = repositories == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(repositories));
    }
  }

  /**
   * The counts of the last sync cycle.
   *
   * @param requests HTTP requests sent to the parent's registry API
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record LastCycle(int repositories, long tagsCopied, long tagsDeleted, long manifests, long blobsFetched,
      long blobsLinked, long referrers, long bytes, long requests, long durationMillis, int errors) {}

  /**
   * Why sync is not running now: {@code reason} InsufficientStorage while less than {@code
   * minFreeBytes} ({@code storage.minFreeBytes}) is free; {@code since} when the pause began.
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Paused(String reason, String description, long freeBytes, long minFreeBytes, String since) {}

  /** ACR's statusDetails shape; {@code correlationId} is also in the log line that told of it. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record StatusDetails(String type, String code, String description, String timestamp, String correlationId) {}

  /**
   * What the data folder holds (from the metadata, refreshed every 30 s and after garbage
   * collection) and the free space of its file system. -1 until first measured.
   */
  public record Storage(long bytesUsed, long repositories, long blobs, long freeBytes) {
    public static final Storage UNKNOWN = new Storage(-1, -1, -1, -1);
  }

  /** Pushes waiting to go up to the parent; all zero until the registry queues any. */
  public record UpstreamQueue(long pending, long expired) {
    public static final UpstreamQueue EMPTY = new UpstreamQueue(0, 0);
  }
}
