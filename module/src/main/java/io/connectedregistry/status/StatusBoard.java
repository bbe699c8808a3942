package io.connectedregistry.status;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one current {@link RegistryStatus}. Each part (sync, storage figures, configuration)
 * replaces its own piece with {@link #update}; readers take {@link #current()} from any thread
 * without waiting.
 *
 * <p>Listeners are told of each actual change once, in order, on the executor given at
 * construction (the server passes a Vert.x context): an update that leaves the status equal
 * tells nobody. Listeners must not block, since that executor may be an event loop.
 */
public final class StatusBoard {
  private static final Logger LOG = LoggerFactory.getLogger(StatusBoard.class);

  /** Told the status before and after a change. */
  @FunctionalInterface
  public interface Listener {
    void changed(RegistryStatus before, RegistryStatus after);
  }

  private final Executor notifier;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private volatile RegistryStatus current;

  public StatusBoard(RegistryStatus initial, Executor notifier) {
    this.current = Objects.requireNonNull(initial);
    this.notifier = notifier;
  }

  public RegistryStatus current() {
    return current;
  }

  /**
   * Replaces the status by {@code change} applied to the current one, atomically with other
   * updates; {@code change} must be quick and side-effect free. Returns the new status.
   */
  public RegistryStatus update(UnaryOperator<RegistryStatus> change) {
    // Under the lock, the notification is queued too: listeners see changes in the order made.
    synchronized (this) {
      RegistryStatus before = current;
      RegistryStatus after = Objects.requireNonNull(change.apply(before), "a status update returned null");
      if (after.equals(before)) {
        return before;
      }
      current = after;
      if (!listeners.isEmpty()) {
        notifier.execute(() -> tell(before, after));
      }
      return after;
    }
  }

  /** {@code listener} hears of changes made from now on. */
  public void subscribe(Listener listener) {
    listeners.add(Objects.requireNonNull(listener));
  }

  public void unsubscribe(Listener listener) {
    listeners.remove(listener);
  }

  private void tell(RegistryStatus before, RegistryStatus after) {
    for (Listener listener : listeners) {
      try {
        listener.changed(before, after);
      } catch (RuntimeException e) {
        // One failing listener must not keep the others from hearing.
        LOG.warn("a status listener failed: {}", e.toString());
      }
    }
  }
}
