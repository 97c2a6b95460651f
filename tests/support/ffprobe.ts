import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

export const ffprobeMissing = existsSync('/usr/bin/ffprobe')
  ? false
  : 'ffprobe is not installed (apt-get install ffmpeg)';

export interface ProbedVideo {
  codec_name: string;
  width: number;
  height: number;
  nb_read_frames: string;
}

/** Reads the video stream of a file or URL with ffprobe, decoding `seconds` of it. */
export function probeVideo(input: string, seconds = 4): Promise<ProbedVideo> {
  const args = [
    '-v',
    'error',
    '-select_streams',
    'v',
    '-count_frames',
    '-read_intervals',
    `%+${seconds}`,
    '-show_entries',
    'stream=codec_name,width,height,nb_read_frames',
    '-of',
    'json',
    input,
  ];
  return new Promise((resolve, reject) => {
    execFile('ffprobe', args, { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`ffprobe failed: ${stderr || error.message}`));
      const streams = (JSON.parse(stdout) as { streams?: ProbedVideo[] }).streams ?? [];
      const video = streams[0];
      if (video === undefined) return reject(new Error(`ffprobe found no video in ${input}`));
      resolve(video);
    });
  });
}

export interface ProbedStream {
  codec_type: 'video' | 'audio';
  codec_name: string;
  width?: number;
  height?: number;
  sample_rate?: string;
  nb_read_frames: string;
}

/** Reads every stream of a file or URL with ffprobe, decoding `seconds` of it. */
export function probeStreams(input: string, seconds = 4): Promise<ProbedStream[]> {
  const args = ['-v', 'error', '-count_frames', '-read_intervals', `%+${seconds}`];
  args.push(
    '-show_entries',
    'stream=codec_type,codec_name,width,height,sample_rate,nb_read_frames',
  );
  args.push('-of', 'json', input);
  return new Promise((resolve, reject) => {
    execFile('ffprobe', args, { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`ffprobe failed: ${stderr || error.message}`));
      resolve((JSON.parse(stdout) as { streams?: ProbedStream[] }).streams ?? []);
    });
  });
}
