package io.connectedregistry;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import io.connectedregistry.launcher.Launcher;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the heap of a JVM started without heap settings ({@code java -jar}, the README's quick
 * start) near what the registry uses, instead of what the JVM's server defaults allow.
 *
 * <p>Without {@code -Xmx}, a JVM on a machine with 2 CPUs and 2 GiB or more picks G1 with a
 * maximum heap of a quarter of the RAM and commits 1/64 of it at once; G1's young generation may
 * take up to 60 % of what is committed, and every region it cycles through stays resident. Under
 * the benchmark on a 24 GiB machine that was ~340 MiB of heap plus ~50 MiB of G1's own tables, for
 * a registry whose live data is a few tens of MiB, and all of it stayed resident afterwards. The JVM's flags cannot be passed from inside the
 * jar, but G1's free-ratio bounds are {@code manageable}: they can be set while it runs.
 *
 * <p>So, only when the heap size is the JVM's own choice and the collector is G1: after a
 * collection G1 keeps 10-30 % of the heap free ({@code MinHeapFreeRatio}/{@code MaxHeapFreeRatio},
 * instead of 40-70 %), a collection runs when the registry has been idle for a minute
 * ({@code G1PeriodicGCInterval}) so a burst's heap is given back, and one full collection right
 * after start returns the initial commitment. The maximum heap is unchanged: under load G1 still
 * grows the heap as far as it needs (its pause and GC-time goals), it only starts from the live
 * size and gives back what a burst took. It does not bound the peak: with a maximum of a quarter
 * of the RAM, G1 grows the heap whenever collections take more than ~1 % of the time (its GC-time
 * goal, scaled down for a heap far below its maximum), and neither can change while it runs.
 *
 * <p>Any heap flag ({@code -Xmx}, {@code -Xms}, {@code -XX:MaxRAMPercentage}, ...) or another
 * collector means someone chose: nothing is changed then.
 */
final class UntunedHeap {
  private static final Logger LOG = LoggerFactory.getLogger(UntunedHeap.class);

  /** Flags any of which, set on the command line or in JAVA_TOOL_OPTIONS, means the heap was tuned. */
  static final List<String> HEAP_FLAGS = List.of("MaxHeapSize", "InitialHeapSize", "MinHeapSize",
      "MaxRAMPercentage", "MinRAMPercentage", "InitialRAMPercentage", "MaxRAM", "MaxRAMFraction",
      "MinRAMFraction", "InitialRAMFraction", "MinHeapFreeRatio", "MaxHeapFreeRatio", "NewSize",
      "MaxNewSize", "G1PeriodicGCInterval", "SoftMaxHeapSize");
  static final String MIN_FREE = "10";
  static final String MAX_FREE = "30";
  static final String IDLE_COLLECTION_MILLIS = "60000";

  private UntunedHeap() {}

  /** Whether the heap is the JVM's own choice under G1 (nothing set by a person). */
  static boolean applies(HotSpotDiagnosticMXBean vm) {
    if (!"true".equals(option(vm, "UseG1GC").map(VMOption::getValue).orElse("false"))) {
      return false;
    }
    for (String flag : HEAP_FLAGS) {
      Optional<VMOption> option = option(vm, flag);
      if (option.isPresent() && option.get().getOrigin() != VMOption.Origin.DEFAULT
          && option.get().getOrigin() != VMOption.Origin.ERGONOMIC) {
        return false;
      }
    }
    return true;
  }

  /** Sets the bounds when {@link #applies}; returns whether it did. Call before the server starts. */
  static boolean bound() {
    if (System.getProperty(Launcher.LAUNCHED) != null) {
      // The launcher chose the collector and the heap; and asking the management beans first
      // would load ~50 classes for nothing.
      return false;
    }
    HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
    if (vm == null || !applies(vm)) {
      return false;
    }
    try {
      // Min first: MinHeapFreeRatio may never exceed MaxHeapFreeRatio, at any step.
      vm.setVMOption("MinHeapFreeRatio", MIN_FREE);
      vm.setVMOption("MaxHeapFreeRatio", MAX_FREE);
      vm.setVMOption("G1PeriodicGCInterval", IDLE_COLLECTION_MILLIS);
      return true;
    } catch (RuntimeException e) {
      LOG.debug("heap bounds not set: {}", e.toString());
      return false;
    }
  }

  /** Once the registry is up: one full collection gives back the heap G1 committed at start. */
  static void returnStartupHeap() {
    MemoryUsage before = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    System.gc();
    MemoryUsage after = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    LOG.info("no heap settings given: G1 keeps 10-30 % of the heap free and gives memory back after a"
            + " minute idle ({} MiB committed, was {} MiB; maximum {} MiB); -Xmx or the small-device"
            + " settings bound it",
        after.getCommitted() >> 20, before.getCommitted() >> 20, after.getMax() >> 20);
  }

  private static Optional<VMOption> option(HotSpotDiagnosticMXBean vm, String name) {
    try {
      return Optional.of(vm.getVMOption(name));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
