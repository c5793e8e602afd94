/**
 * Orders the issued frames of the page queue. The page queue tells the policy what happens to frames
 * (issued, accessed, taken out); the policy answers which frame to reclaim next. Frames are small
 * integers below the pool's frame count, so policies keep their state in typed arrays.
 */
export interface ReplacementPolicy {
  /** The name it is selected by (`createVm({ policy: 'fifo' })`). */
  readonly name: string;
  /** Called once, before any other call, with the number of frames in the pool. */
  attach(frames: number): void;
  /**
   * A frame was issued: it joins the queue (at the tail, for queue-shaped policies). `key` identifies the
   * page it holds (object and page), for policies that remember evicted pages (S3-FIFO's ghost queue).
   */
  insert(frame: number, key: number): void;
  /** A queued frame was used again (a cache hit). Called on every hit: keep it cheap. */
  access(frame: number): void;
  /** A frame leaves the queue: reserved, reclaimed or freed. Only called for queued frames. */
  remove(frame: number): void;
  /**
   * The next frame to reclaim among the queued frames that `eligible` accepts, or -1 when there is none.
   * It does not remove the frame. It must terminate even when nothing is eligible.
   */
  victim(eligible: (frame: number) => boolean): number;
  /** Bytes of policy metadata per frame, for the metadata report. */
  readonly bytesPerFrame: number;
}

/** A named way to make a policy: registered in the container, selected by name. */
export type PolicyFactory = () => ReplacementPolicy;
