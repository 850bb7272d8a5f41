import { guardFileReads } from './repository-boundary';

guardFileReads();
