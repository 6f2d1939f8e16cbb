#pragma once
// A blocking queue of bounded size between one producer and one consumer thread. close() wakes
// both sides: push() then fails (the consumer gave up) and pop() drains, then returns nullopt.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

namespace knowthy::util {

template <class T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : m_capacity(capacity) {}

  bool push(T v) {
    std::unique_lock lk(m_mu);
    m_not_full.wait(lk, [&] { return m_closed || m_items.size() < m_capacity; });
    if (m_closed) return false;
    m_items.push_back(std::move(v));
    m_not_empty.notify_one();
    return true;
  }

  std::optional<T> pop() {
    std::unique_lock lk(m_mu);
    m_not_empty.wait(lk, [&] { return m_closed || !m_items.empty(); });
    if (m_items.empty()) return std::nullopt;
    T v = std::move(m_items.front());
    m_items.pop_front();
    m_not_full.notify_one();
    return v;
  }

  void close() {
    std::lock_guard lk(m_mu);
    m_closed = true;
    m_not_full.notify_all();
    m_not_empty.notify_all();
  }

 private:
  size_t m_capacity;
  std::mutex m_mu;
  std::condition_variable m_not_full, m_not_empty;
  std::deque<T> m_items;
  bool m_closed = false;
};

}  // namespace knowthy::util
