package io.connectedregistry.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class BodyBudgetTest {
  private static final long MIB = 1024 * 1024;

  @Test
  void unsetItIsAThirdOfTheHeapButAtLeast4MiB() {
    assertEquals(8 * MIB, BodyBudget.of(0, 24 * MIB).capacity());
    assertEquals(96 * MIB, BodyBudget.of(0, 288 * MIB).capacity());
    assertEquals(4 * MIB, BodyBudget.of(0, 8 * MIB).capacity());
    assertEquals(10 * MIB, BodyBudget.of(10 * MIB, 24 * MIB).capacity(), "a configured budget wins");
    assertThrows(IllegalArgumentException.class, () -> new BodyBudget(MIB));
  }

  @Test
  void leasesGrowUntilTheBudgetIsSpentAndGiveEverythingBackOnce() {
    BodyBudget budget = new BodyBudget(4 * MIB);
    BodyBudget.Lease first = budget.lease();
    BodyBudget.Lease second = budget.lease();

    assertTrue(first.grow(3 * MIB));
    assertTrue(second.grow(MIB));
    assertFalse(second.grow(1), "the budget is spent");
    assertEquals(MIB, second.held(), "a refused growth takes nothing");
    assertEquals(4 * MIB, budget.used());

    first.close();
    assertEquals(MIB, budget.used());
    first.close();
    assertEquals(MIB, budget.used(), "a lease is given back once");
    assertFalse(first.grow(1), "a closed lease takes nothing more");
    assertTrue(second.grow(3 * MIB));
    second.close();
    assertEquals(0, budget.used());
  }

  @Test
  void concurrentLeasesNeverPassTheBudgetAndLeaveNothingBehind() throws Exception {
    BodyBudget budget = new BodyBudget(4 * MIB);
    AtomicLong highest = new AtomicLong();
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Integer>> refusals = new ArrayList<>();
    try {
      for (int t = 0; t < threads; t++) {
        refusals.add(pool.submit(() -> {
          start.await();
          int refused = 0;
          for (int i = 0; i < 2_000; i++) {
            try (BodyBudget.Lease lease = budget.lease()) {
              for (int chunk = 0; chunk < 8; chunk++) {
                if (!lease.grow(128 * 1024)) {
                  refused++;
                  break;
                }
                highest.accumulateAndGet(budget.used(), Math::max);
              }
            }
          }
          return refused;
        }));
      }
      start.countDown();
      int refused = 0;
      for (Future<Integer> f : refusals) {
        refused += f.get(60, TimeUnit.SECONDS);
      }
      assertTrue(highest.get() <= budget.capacity(), "used " + highest.get() + " of " + budget.capacity());
      assertEquals(0, budget.used(), "every lease was given back (" + refused + " growths refused)");
    } finally {
      pool.shutdownNow();
    }
  }
}
