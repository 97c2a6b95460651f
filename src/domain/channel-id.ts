/**
 * Channel IDs as the API takes them: 1 to 20 digits; for GB/T 28181 devices 20 digits whose
 * type code (digits 11–13, GB/T 28181-2016 Appendix D) is a video channel. Devices in the
 * field number their cameras 131 or 132: both are accepted.
 */

/** The type codes of video channels (camera, IP camera). */
export const videoChannelTypes: readonly string[] = ['131', '132'];

/**
 * What is wrong with `channelId` as the channel of a device of `protocol`, in words that name
 * the digits at fault; undefined where it is right.
 */
export function channelIdProblem(channelId: string, protocol = 'GB28181'): string | undefined {
  const wrong = [...channelId].flatMap((char, i) => (/\d/.test(char) ? [] : [i + 1]));
  if (wrong.length === 1) return `character ${wrong[0]} is not a digit`;
  if (wrong.length > 1) return `characters ${wrong.slice(0, 5).join(', ')} are not digits`;
  if (channelId.length < 1 || channelId.length > 20) {
    return `must be 1 to 20 digits, not ${channelId.length}`;
  }
  if (protocol !== 'GB28181') return undefined;
  if (channelId.length !== 20)
    return `a GB/T 28181 channel ID has 20 digits, not ${channelId.length}`;
  const type = channelId.slice(10, 13);
  if (!videoChannelTypes.includes(type)) {
    return `digits 11-13 are ${type}, not a video channel type (${videoChannelTypes.join(' or ')})`;
  }
  return undefined;
}
