import t from 'tap';
import { TokenBucket } from '../../src/sync/token-bucket.ts';
import { topicMatches, boothIdOf, boothTopics } from '../../src/sync/topics.ts';

t.test('the bandwidth cap: one second of bytes at most, long messages drive it negative', async (t) => {
  let nowMs = 0;
  const bucket = new TokenBucket(1000, () => nowMs);
  t.equal(bucket.waitMs(600), 0);
  bucket.spend(600);
  t.equal(bucket.waitMs(600), 200, '200 ms until 600 bytes are available again');
  nowMs = 200;
  t.equal(bucket.waitMs(600), 0);
  bucket.spend(600);
  // A message larger than the bucket waits for a full bucket, then spends past zero.
  nowMs = 1200;
  t.equal(bucket.waitMs(5000), 0);
  bucket.spend(5000);
  t.equal(bucket.waitMs(1), 4001, 'the overdraft is paid back before the next byte');
  t.equal(new TokenBucket(0).waitMs(1e9), 0, '0 = no cap');
});

t.test('topic filters and booth ids', async (t) => {
  t.ok(topicMatches('gradebooth/v1/+/status', 'gradebooth/v1/b1/status'));
  t.notOk(topicMatches('gradebooth/v1/+/status', 'gradebooth/v1/b1/results'));
  t.ok(topicMatches('a/#', 'a/b/c'));
  t.notOk(topicMatches('a/+', 'a/b/c'));
  t.equal(boothIdOf('gradebooth/v1', 'gradebooth/v1/b-1/results'), 'b-1');
  t.equal(boothIdOf('gradebooth/v1', 'gradebooth/v1/_all/models/offer'), undefined);
  t.equal(boothIdOf('gradebooth/v1', 'other/b-1/results'), undefined);
  t.equal(boothTopics('gradebooth/v1', 'b-1').status, 'gradebooth/v1/b-1/status');
});
